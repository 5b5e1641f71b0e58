"""The ``dsr`` command for spark-submit, which runs a Python file, not a module::

    spark-submit --master yarn "$(python -c 'import dsr_app.spark_main as m;
    print(m.__file__)')" sweep --engine spark --manifest hdfs-mounted/shards/

The master and every ``--conf`` given to spark-submit apply (``--master`` is then
left out of the ``dsr`` arguments).
"""

from dsr_app.cli import cli

if __name__ == "__main__":
    cli(prog_name="dsr")
