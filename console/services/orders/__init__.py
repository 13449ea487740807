"""Orders: the one way an order gets in (``intake``) and repeat repairs (``repeat_repairs``)."""
