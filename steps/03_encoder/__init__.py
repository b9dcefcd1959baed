"""Step 03: a custom JSON encoder so whole MongoDB documents can be sent to Backbone."""
