"""Step 07: step 06 with strict rules for what the site accepts from the web."""
