"""Files: reading JSON with located errors, locating values in text, atomic writes."""
