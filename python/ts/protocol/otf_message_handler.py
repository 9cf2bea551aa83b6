"""Streaming answers (send_intermediate_predict_response).

Hearth's worker protocol carries one answer per request; intermediate
answers are not supported yet, and a handler that sends one gets this
error rather than a silently dropped message.
"""


class StreamingNotSupported(RuntimeError):
    pass


def send_intermediate_predict_response(ret, req_id_map, message, code, context=None):
    raise StreamingNotSupported(
        "send_intermediate_predict_response: Hearth does not stream intermediate answers yet; "
        "return the whole answer from handle()"
    )
