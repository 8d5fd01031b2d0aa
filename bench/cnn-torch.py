"""PyTorch CPU baseline for bench/cnn.ts: torchvision's or Caffe's AlexNet topology (random weights: only
the time matters), forward and forward + input gradient of one logit per image, in ms per image.

    /usr/bin/python3 bench/cnn-torch.py BATCH REPEATS [torchvision|caffe] [THREADS]
prints one JSON line: {"torch": version, "threads": n, "forward": [ms per image per repeat], "gradient": [...]}
"""
import json
import sys
import time

import torch

from torch_alexnet import alexnet, caffe_alexnet


def main() -> None:
    batch, repeats = int(sys.argv[1]), int(sys.argv[2])
    arch = sys.argv[3] if len(sys.argv) > 3 else "torchvision"
    if len(sys.argv) > 4:
        torch.set_num_threads(int(sys.argv[4]))
    torch.manual_seed(0)
    model = caffe_alexnet() if arch == "caffe" else alexnet()
    x = torch.randn(batch, 3, 224, 224)
    classes = torch.tensor([[(i * 37) % 1000] for i in range(batch)])
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
        # one class per image, as bench/cnn.ts asks advsight for
        model(xg).gather(1, classes).sum().backward()
        ms = (time.perf_counter() - t) * 1000 / batch
        if i > 0:
            gradient.append(ms)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "forward": forward, "gradient": gradient}))


if __name__ == "__main__":
    main()
