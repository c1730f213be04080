"""The networks: the attention generator, its MLP ablation, the discriminator."""
