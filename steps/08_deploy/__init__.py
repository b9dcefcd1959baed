"""Step 08: step 07 deployed: settings from the environment, a proxy, waitress, a real MongoDB."""
