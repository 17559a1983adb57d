"""The main area of each application's two screenshots, one module per application."""
