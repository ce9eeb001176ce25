"""Records exchange trades streamed by exwire into the database."""
