"""Pure, stepwise algorithms: numpy (and OpenCV for images), never Qt."""
