"""Kept for the kit's file list; the model takes its heads from torchvision."""
