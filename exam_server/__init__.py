"""The exam platform's application: config, storage, models, auth, setup, delivery.

The app factory lives in exam_server.app (the composition root).
"""
