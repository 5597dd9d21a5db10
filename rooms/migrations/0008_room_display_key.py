from django.db import migrations, models

import rooms.models


def give_each_room_a_key(apps, schema_editor):
    """A key of its own for every room (a callable default is called once for them all)."""
    Room = apps.get_model("rooms", "Room")
    for room in Room.objects.only("pk"):
        Room.objects.filter(pk=room.pk).update(display_key=rooms.models.new_display_key())


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0007_room_feature_count"),
    ]

    operations = [
        migrations.AddField(
            model_name="room",
            name="display_key",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="display key"),
            preserve_default=False,
        ),
        migrations.RunPython(give_each_room_a_key, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="room",
            name="display_key",
            field=models.CharField(
                default=rooms.models.new_display_key,
                editable=False,
                max_length=64,
                verbose_name="display key",
            ),
        ),
    ]
