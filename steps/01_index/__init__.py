"""Step 01: Flask serves the Brunch-built Backbone index.html through render_template."""
