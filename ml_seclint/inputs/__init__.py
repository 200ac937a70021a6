"""What is checked: files found and read, notebooks turned into modules."""
