"""Online booking of a time slot, and check-in at the kiosk (or by a clerk) that turns a booking into a ticket."""
