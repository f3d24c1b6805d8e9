"""Where data shown in the app comes from: files the user opens, parsed without Qt."""
