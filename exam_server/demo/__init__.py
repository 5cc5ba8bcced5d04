"""The demo: a sample bank written for this project and a pilot exam ready to sit."""
