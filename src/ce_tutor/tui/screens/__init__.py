"""The app's screens; each keeps its stylesheet beside it."""
