"""Views: they read results and traces, never the engines' internals."""
