"""``bench load``: the serving dimension (throughput, latency percentiles, goodput, the knee).

Its own runtime module over the providers' streaming wire, with its own result document
(:mod:`runtime.load.result`); report/ draws its charts, the compiler only validates a suite's
``load:`` section.
"""
