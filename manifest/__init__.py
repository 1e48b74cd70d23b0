"""The Teams app package: manifest template, icons and the build that zips them."""
