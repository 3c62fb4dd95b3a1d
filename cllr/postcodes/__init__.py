"""The ONS Postcode Directory: its files read, loaded into the database, and the rosters' wards given their ONS codes."""
