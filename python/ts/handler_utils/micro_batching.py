"""MicroBatching: splits a batch into micro-batches and runs preprocess,
inference and postprocess as a pipeline, each stage with its own number of
threads, so preprocessing of one micro-batch overlaps inference of another.

    handler.handle = MicroBatching(handler, micro_batch_size=4,
                                   parallelism={"preprocess": 2, "inference": 1, "postprocess": 2})

Answers come back in request order. An exception in any stage fails the
whole batch (it is raised from the call).
"""

import queue
import threading

STAGES = ("preprocess", "inference", "postprocess")


class MicroBatching:
    def __init__(self, parent_handler, micro_batch_size=1, parallelism=None):
        self.handler = parent_handler
        self.micro_batch_size = micro_batch_size
        self._parallelism = {stage: 1 for stage in STAGES}
        if parallelism:
            self.parallelism = parallelism

    @property
    def parallelism(self):
        return dict(self._parallelism)

    @parallelism.setter
    def parallelism(self, value):
        unknown = set(value) - set(STAGES)
        if unknown:
            raise ValueError(f"micro batching parallelism: unknown stages {sorted(unknown)}; stages are {STAGES}")
        for stage, threads in value.items():
            if not isinstance(threads, int) or threads < 1:
                raise ValueError(f"micro batching parallelism.{stage} must be an integer >= 1, got {threads!r}")
            self._parallelism[stage] = threads

    def __call__(self, data, context):
        self.handler.context = context
        size = max(1, int(self.micro_batch_size))
        chunks = [data[i:i + size] for i in range(0, len(data), size)]
        queues = [queue.Queue() for _ in range(len(STAGES) + 1)]
        for index, chunk in enumerate(chunks):
            queues[0].put((index, chunk))
        errors = []
        threads = []
        for stage_index, stage in enumerate(STAGES):
            function = getattr(self.handler, stage)
            for _ in range(self._parallelism[stage]):
                thread = threading.Thread(
                    target=self._run_stage,
                    args=(function, queues[stage_index], queues[stage_index + 1], errors),
                    name=f"micro-batch-{stage}",
                    daemon=True,
                )
                thread.start()
                threads.append((stage_index, thread))
        # Stop each stage once its input is exhausted, stage by stage.
        for stage_index, stage in enumerate(STAGES):
            for _ in range(self._parallelism[stage]):
                queues[stage_index].put(None)
            for index, thread in threads:
                if index == stage_index:
                    thread.join()
        if errors:
            raise errors[0]
        results = {}
        while not queues[-1].empty():
            index, answers = queues[-1].get()
            results[index] = answers
        output = []
        for index in range(len(chunks)):
            output.extend(results[index])
        return output

    @staticmethod
    def _run_stage(function, source, sink, errors):
        while True:
            item = source.get()
            if item is None:
                return
            index, payload = item
            if errors:
                continue
            try:
                sink.put((index, function(payload)))
            except Exception as e:  # noqa: BLE001 - reported to the caller
                errors.append(e)
