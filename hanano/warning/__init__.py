"""Early warning: from spotters' sightings to CAP 1.2 alerts on every channel."""
