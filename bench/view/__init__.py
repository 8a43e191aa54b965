"""``bench view``: a local, read-only web viewer over a run store.

``create_app`` (app.py) is the ASGI app; ``StoreIndex`` (index.py) its read-only access to
the store; serve.py binds it to a socket and runs uvicorn. Pages are rendered by report/
(report/run_list.py, report/side_by_side.py, report/render.py).
"""
