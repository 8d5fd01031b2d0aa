"""PyTorch CPU baseline for bench/stimuli.ts: the same targeted PGD step (sign of the gradient of
log-softmax(target), step 1/255, projection onto the L-inf ball and 0-255) on torchvision's AlexNet
architecture with random weights (only the time matters), a fixed number of steps without early stop.

    /usr/bin/python3 bench/stimuli-torch.py BATCH STEPS REPEATS
prints one JSON line: {"torch": version, "threads": n, "forward": [ms/image], "pgd_step": [ms per step per image]}
"""
import json
import sys
import time

import torch

from torch_alexnet import alexnet

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def main() -> None:
    batch, steps, repeats = (int(a) for a in sys.argv[1:4])
    torch.manual_seed(0)
    model = alexnet()
    for p in model.parameters():
        p.requires_grad_(False)
    x0 = torch.randint(0, 256, (batch, 3, 224, 224)).float()
    target = torch.arange(batch) * 37 % 1000
    eps = 8.0
    forward, pgd = [], []
    for i in range(repeats + 1):
        t = time.perf_counter()
        with torch.no_grad():
            model((x0 / 255 - MEAN) / STD)
        if i > 0:
            forward.append((time.perf_counter() - t) * 1000 / batch)
    for i in range(repeats + 1):
        x = (x0 + torch.randint(-8, 9, x0.shape).float()).clamp(0, 255)
        t = time.perf_counter()
        for _ in range(steps):
            x.requires_grad_(True)
            logp = torch.log_softmax(model((x / 255 - MEAN) / STD), dim=1)
            (g,) = torch.autograd.grad(logp[torch.arange(batch), target].sum(), x)
            with torch.no_grad():
                x = torch.minimum(torch.maximum(x + g.sign(), x0 - eps), x0 + eps).clamp(0, 255)
        if i > 0:
            pgd.append((time.perf_counter() - t) * 1000 / batch / steps)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "forward": forward, "pgd_step": pgd}))


if __name__ == "__main__":
    main()
