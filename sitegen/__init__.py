"""careers-site: a static site generator for bilingual careers microsites."""
