//! isahit lab API client and task operations.
