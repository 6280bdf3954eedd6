"""The watchdog: the server fires every step of the ladder on time, whatever the phone does."""
