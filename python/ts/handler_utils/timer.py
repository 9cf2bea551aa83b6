"""@timed: records a handler method's duration as the ts_handler_<name> gauge
(ms) when the model's YAML config says handler: {profile: true}."""

import functools
import time


def timed(func):
    @functools.wraps(func)
    def wrapper(self, *args, **kwargs):
        context = getattr(self, "context", None)
        config = getattr(context, "model_yaml_config", None) or {}
        if not (config.get("handler") or {}).get("profile", False):
            return func(self, *args, **kwargs)
        start = time.perf_counter()
        result = func(self, *args, **kwargs)
        elapsed_ms = (time.perf_counter() - start) * 1000
        context.metrics.add_time(f"ts_handler_{func.__name__}", elapsed_ms, None, "ms")
        return result

    return wrapper
