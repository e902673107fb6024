"""Messages the service sends by e-mail: to residents who asked, and to bodies' e-mail routes."""
