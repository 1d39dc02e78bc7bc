"""Page views of the web shell."""
