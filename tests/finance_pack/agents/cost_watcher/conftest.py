from cost_watcher_support import clock, engine

__all__ = ["clock", "engine"]
