"""An envelope wraps a handler's entry point: it unpacks a request format
into rows for the handler and packs the handler's answers back."""

from abc import ABC, abstractmethod


class BaseEnvelope(ABC):
    def __init__(self, handle_fn):
        self._handle_fn = handle_fn
        self.context = None

    def handle(self, data, context):
        if data:
            self.context = context
        rows = self.parse_input(data)
        results = self._handle_fn(rows, context)
        if results:
            results = self.format_output(results)
        return results

    @abstractmethod
    def parse_input(self, data):
        pass

    @abstractmethod
    def format_output(self, data):
        pass
