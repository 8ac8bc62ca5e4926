"""A network too large for the machine is refused before allocation, naming the options."""
import pytest

from minirnn.toolkit.memory import check_training_fits, network_parameters


def test_the_parameter_count_is_a_grus():
    # Embedding(10, 4), GRU(4, 5): 3 blocks of W (4, 5), H (5, 5) and two biases, Linear(5, 10)
    assert network_parameters(10, 4, "gru", 5, 1, outputs=10) == 10 * 4 + 3 * 5 * (4 + 5 + 2) + (5 + 1) * 10


@pytest.mark.parametrize("config, outputs, directions, named", [
    ({"vocab_size": 99, "embed_size": 64, "cell": "gru", "hidden_size": 100_000, "layers": 1,
      "dtype": "float32"}, 99, 1, "--hidden-size 100000, --embed-size 64, --layers 1 (a vocabulary of 99)"),
    ({"vocab_size": 20_000, "embed_size": 10_000_000, "cell": "gru", "hidden_size": 128, "layers": 1,
      "dtype": "float32"}, 2, 2, "--embed-size 10000000"),
])
def test_a_network_beyond_any_machine_is_refused_naming_its_sizes(config, outputs, directions, named):
    with pytest.raises(ValueError, match="GB of memory, more than this machine's") as error:
        check_training_fits(config, outputs, directions)
    assert named in str(error.value)


def test_a_small_network_passes():
    check_training_fits({"vocab_size": 99, "embed_size": None, "cell": "lstm", "hidden_size": 64,
                         "layers": 2, "dtype": "float64"}, 99)
