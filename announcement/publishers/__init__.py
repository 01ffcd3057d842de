"""Publishers: one interface (publisher.py), 人民法院报's announcement system and a dev publisher."""
