"""Step 05: one MethodView gives Backbone models and collections their full REST API."""
