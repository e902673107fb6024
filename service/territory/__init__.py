"""The territory of Angers Loire Métropole: its 29 communes, their boundaries, and the bodies
(ALM, its directorates, the town halls) that handle what residents send."""
