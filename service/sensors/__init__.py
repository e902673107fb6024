"""Sensor transparency: the DTPR taxonomy, the public sensor register, residents\x27 opinions."""
