"""Infrastructure: environment parsing, rate limits, middleware, logging, system checks, task
queueing. Nothing here imports a domain module (recovery, plans): the arrows point in."""
