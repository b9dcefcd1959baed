"""Step 06: step 05 with what a deployment needs: limits, headers, proxies, a real server."""
