"""PyTorch CPU baseline for bench/cnn.ts: torchvision's AlexNet architecture (random weights: only the
time matters), forward and forward + input gradient of one logit, in ms per image.

    /usr/bin/python3 bench/cnn-torch.py BATCH REPEATS
prints one JSON line: {"torch": version, "threads": n, "forward": [ms per image per repeat], "gradient": [...]}
"""
import json
import sys
import time

import torch

from torch_alexnet import alexnet


def main() -> None:
    batch, repeats = int(sys.argv[1]), int(sys.argv[2])
    torch.manual_seed(0)
    model = alexnet()
    x = torch.randn(batch, 3, 224, 224)
    forward, gradient = [], []
    for i in range(repeats + 1):
        t = time.perf_counter()
        with torch.no_grad():
            model(x)
        ms = (time.perf_counter() - t) * 1000 / batch
        if i > 0:
            forward.append(ms)
    for i in range(repeats + 1):
        xg = x.clone().requires_grad_(True)
        t = time.perf_counter()
        model(xg)[:, 281].sum().backward()
        ms = (time.perf_counter() - t) * 1000 / batch
        if i > 0:
            gradient.append(ms)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "forward": forward, "gradient": gradient}))


if __name__ == "__main__":
    main()
