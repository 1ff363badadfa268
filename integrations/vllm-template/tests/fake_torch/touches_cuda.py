"""A module that initialises CUDA when imported: the template must refuse to fork after it."""
import torch

torch.cuda.init()
