//! Export formats: lab, kili, yolo, mask.
