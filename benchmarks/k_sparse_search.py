"""The trials behind recipe 12's k-sparse autoencoder: one configuration per call.

``python -m benchmarks.k_sparse_search --encoder linear --epochs 30 --batch-size 64
--learning-rate 0.01 --seed 42`` trains the recipe's model (256 units, the 25 largest kept,
the image minus the mean training image in, a sigmoid decoder, mean squared error, Adam on a
cosine) on the first 54,000 MNIST training images and prints one Markdown row: the PSNR of the
6,000 held-out training images (the number a choice is made on), the test PSNR (reported, never
chosen on), the units that no test image uses, and the training seconds. ``--encoder mlp``
puts a 512-unit ReLU layer before the code; ``--output linear`` drops the decoder's sigmoid.
It needs the real MNIST: set ``AELIB_DATA_DIR``. The rows measured are in
``benchmarks/results/k_sparse_search.md``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from aelib import data, metrics

UNITS, ACTIVE, SPLIT = 256, 25, 54_000


def main(argv: list[str] | None = None) -> str:
    """Train one configuration and return (and print) its Markdown row."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--encoder", choices=("linear", "mlp"), default="linear")
    parser.add_argument("--output", choices=("sigmoid", "linear"), default="sigmoid")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=42)
    arguments = parser.parse_args(argv)
    if arguments.epochs < 1 or arguments.batch_size < 1 or arguments.learning_rate <= 0:
        parser.error("--epochs, --batch-size and --learning-rate must be positive")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Imported here, so that importing this module (as the tests do) needs no TensorFlow.
    import keras
    from keras import ops

    mnist = data.load_mnist(verbose=False)
    x_train = mnist.x_train.reshape(len(mnist.x_train), -1)
    x_test = mnist.x_test.reshape(len(mnist.x_test), -1)
    mean_image = x_train[:SPLIT].mean(axis=0)
    mean_pixels = np.clip(mean_image, 1e-3, 1 - 1e-3)

    class TopK(keras.layers.Layer):
        def call(self, codes):
            _, winners = ops.top_k(codes, ACTIVE)
            return codes * ops.sum(ops.one_hot(winners, UNITS, dtype=codes.dtype), axis=1)

    keras.utils.set_random_seed(arguments.seed)
    images = keras.Input((784,))
    centered = images - mean_image
    if arguments.encoder == "mlp":
        hidden = keras.layers.Dense(512, activation="relu")(centered)
        scores = keras.layers.Dense(UNITS)(hidden)
    else:
        encode = keras.layers.Dense(UNITS)
        scores = encode(centered)
    codes = TopK()(scores)
    sigmoid = arguments.output == "sigmoid"
    decode = keras.layers.Dense(784, activation="sigmoid" if sigmoid else None)
    model = keras.Model(images, decode(codes))
    decode.bias.assign(np.log(mean_pixels / (1 - mean_pixels)) if sigmoid else mean_image)
    if arguments.encoder == "linear":
        encode.kernel.assign(ops.transpose(decode.kernel))
    steps = arguments.epochs * int(np.ceil(SPLIT / arguments.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(arguments.learning_rate, steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
    start = time.perf_counter()
    model.fit(
        x_train,
        x_train,
        epochs=arguments.epochs,
        batch_size=arguments.batch_size,
        validation_split=0.1,
        verbose=0,
    )
    seconds = time.perf_counter() - start

    def psnr(images):
        return metrics.psnr(
            images, np.clip(model.predict(images, batch_size=1000, verbose=0), 0, 1)
        )

    test_codes = keras.Model(images, codes).predict(x_test, batch_size=1000, verbose=0)
    unused = int(np.sum(np.count_nonzero(test_codes, axis=0) == 0))
    row = (
        f"| {arguments.encoder} | {arguments.output} | {arguments.epochs} | "
        f"{arguments.batch_size} | {arguments.learning_rate:g} | {arguments.seed} | "
        f"{psnr(x_train[SPLIT:]):.2f} | {psnr(x_test):.2f} | {unused} | {seconds:.0f} |"
    )
    print(row)
    return row


if __name__ == "__main__":
    main()
