"""The Messages tool: one message to people by email, SMS and fax at once."""
