"""The main job: a virtual multicenter study run through the services and the store (`cartrial demo`)."""
