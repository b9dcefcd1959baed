"""Step 02: a JSON API read from MongoDB, with jsonify, for a Backbone collection."""
