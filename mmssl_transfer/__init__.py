"""mmssl-transfer."""
