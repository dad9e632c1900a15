"""One module per resource family: the SQL mapping (:class:`ResourceSpec`) and row -> resource."""
