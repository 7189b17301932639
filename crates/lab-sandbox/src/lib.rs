//! Local isahit-lab compatible server.
