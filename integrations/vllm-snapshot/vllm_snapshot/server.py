"""The two questions asked of a vLLM server over HTTP: its model's name, and one greedy
completion, whose text a restored server must repeat exactly."""
import json, urllib.request

PROMPT = "The quick brown fox"
MAX_TOKENS = 16


def _request(url, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read(4 << 20))


def model_name(base):
    models = _request(base.rstrip("/") + "/v1/models")
    data = models.get("data") if isinstance(models, dict) else None
    if not data or not isinstance(data[0], dict) or "id" not in data[0]:
        raise ValueError(f"{base}/v1/models: no model listed")
    return data[0]["id"]


def greedy(base, model):
    """The text of one greedy completion (temperature 0, 16 tokens)."""
    reply = _request(base.rstrip("/") + "/v1/completions",
                     {"model": model, "prompt": PROMPT, "max_tokens": MAX_TOKENS, "temperature": 0})
    choices = reply.get("choices") if isinstance(reply, dict) else None
    if not choices or not isinstance(choices[0], dict) or not isinstance(choices[0].get("text"), str):
        raise ValueError(f"{base}/v1/completions: no choices[0].text in the reply")
    return choices[0]["text"]
